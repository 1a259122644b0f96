namespace cuttle {}
